"""Network HTML: sanitised to an allow-list, and read as plain text the way a person reads it."""

from __future__ import annotations

from app.text.html import html_to_text, sanitize_html

# The shape real Mastodon servers send (h-card mentions, hashtags, links with hidden parts).
REAL_STATUS = (
    '<p><span class="h-card" translate="no"><a href="https://social.example/@fjellform" '
    'class="u-url mention">@<span>fjellform</span></a></span> see '
    '<a href="https://example.org/very/long/path" rel="nofollow noopener" target="_blank">'
    '<span class="invisible">https://</span><span class="ellipsis">example.org/very/lo</span>'
    '<span class="invisible">ng/path</span></a> '
    '<a href="https://social.example/tags/help" class="mention hashtag" rel="tag">'
    "#<span>help</span></a></p><p>line one<br />line two &amp; more</p>"
)


def test_real_status_html_reads_as_plain_text() -> None:
    assert html_to_text(REAL_STATUS) == (
        "@fjellform see https://example.org/very/long/path #help\n\nline one\nline two & more"
    )


def test_scripts_and_styles_are_not_text() -> None:
    assert html_to_text("<p>hi<script>alert(1)</script><style>p{}</style></p>") == "hi"


def test_sanitiser_keeps_links_and_drops_everything_active_or_remote() -> None:
    dirty = (
        '<p onclick="steal()">hi <script>x</script><img src="http://tracker.example/p.gif">'
        '<a href="javascript:alert(1)">j</a> <a href="data:text/html,x">d</a> '
        '<iframe src="https://evil.example"></iframe><a href="https://ok.example">ok</a>'
        '<span style="background:url(http://t.example/x)">s</span></p>'
    )
    clean = sanitize_html(dirty)
    for forbidden in (
        "script",
        "img",
        "javascript:",
        "data:",
        "iframe",
        "onclick",
        "style",
        "tracker",
    ):
        assert forbidden not in clean
    assert 'href="https://ok.example"' in clean
    assert "noopener" in clean


def test_lists_quotes_and_preformatted_text_read_as_separate_lines() -> None:
    # What Mastodon 4.2+ sends for Markdown-ish posts from other servers (Misskey, Akkoma).
    html = (
        "<p>Before:</p><ul><li>tent</li><li>boots <em>size 42</em></li></ul>"
        '<ol start="3"><li>third</li><li>fourth</li></ol>'
        "<blockquote><p>you promised two days</p><p>and a refund</p></blockquote>"
        "<pre><code>order FF-1\n  status: lost</code></pre>after"
    )
    assert html_to_text(html) == (
        "Before:\n\n• tent\n• boots size 42\n3. third\n4. fourth\n\n"
        "> you promised two days\n>\n> and a refund\n\norder FF-1\n  status: lost\n\nafter"
    )


def test_the_quote_fallback_paragraph_is_left_out_only_when_asked() -> None:
    html = (
        '<p class="quote-inline">RE: <a href="https://social.example/@b/1">'
        "https://social.example/@b/1</a></p><p>so true</p>"
    )
    assert html_to_text(html, hide_quote_fallback=True) == "so true"
    assert html_to_text(html).startswith("RE: https://social.example/@b/1")
