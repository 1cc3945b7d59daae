"""The composition root: builds a workspace's parts in order and logs how long each took."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from storage.accounts import AccountHealthRepository, AccountRepository
from storage.cursors import CursorRepository
from storage.drafts import DraftRepository
from storage.mentions import MentionRepository
from storage.outbox import OutboxRepository
from storage.profile import ProfileFacts
from storage.records import utc_now
from storage.reports.policies import SlaPolicyRepository
from storage.skipped import SkippedItemRepository
from storage.snippets import BrandProfileRepository, SentReplies, SnippetRepository
from storage.store import Store, open_store
from storage.triage import TriageRepository
from storage.usage import UsageRepository
from storage.views import SavedViewRepository

from app.accounts import AccountService
from app.compose.brand import BrandService
from app.compose.replies import ComposerService, ReplyService
from app.compose.snippets import SnippetService
from app.inbox.service import InboxService
from app.inbox.triage import TriageService
from app.networks.factory import ConnectorFactory
from app.paths import DEFAULT_PROFILE, DEMO_PROFILE, AppPaths, ProfilePaths
from app.secrets import SecretStore
from app.settings import Settings, load_settings, save_settings
from app.sync.afterwards import RequestsService
from app.sync.health import HealthService
from app.sync.outbox import OutboxService
from app.sync.service import SyncService
from app.team.claims import ReplyGate
from app.team.journal import TeamJournal
from app.team.keys import key_finder
from app.team.library import LibraryJournal, TeamLibrary
from app.team.service import TeamService

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StartupOptions:
    home: Path | None = None
    demo: bool = False
    # The window opens the demo workspace while no account is configured; the CLI never
    # switches profiles behind a user's back.
    demo_when_no_accounts: bool = False


@dataclass
class StartupTimer:
    started: float = field(default_factory=time.perf_counter)
    steps: list[tuple[str, float]] = field(default_factory=list)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            took = time.perf_counter() - began
            self.steps.append((name, took))
            log.info("start-up: %s took %.1f ms", name, took * 1000)

    def total(self) -> float:
        return time.perf_counter() - self.started


@dataclass
class Workspace:
    """Everything one open profile needs, built once and passed down through constructors."""

    paths: AppPaths
    profile: ProfilePaths
    settings: Settings
    settings_problems: list[str]
    store: Store
    accounts: AccountRepository
    mentions: MentionRepository
    inbox: InboxService
    outbox: OutboxRepository
    secrets: SecretStore
    account_service: AccountService
    replies: ReplyService
    sync: SyncService
    health: HealthService
    outbox_service: OutboxService
    triage: TriageService
    snippets: SnippetService
    brand: BrandService
    composer: ComposerService
    requests: RequestsService  # accepting or dismissing what the server filtered
    team: TeamService
    sla_policies: SlaPolicyRepository  # each brand's service levels (app.reports.sla)

    @property
    def is_demo(self) -> bool:
        return self.profile.name == DEMO_PROFILE

    def close(self) -> None:
        self.store.close()

    def set_agent_name(self, name: str) -> None:
        """Who is working: signs replies ({agent.name}), is recorded in the triage history,
        and decides "Mine". Saved in the profile's settings; takes effect at once."""
        name = " ".join(name.split())
        if not name:
            raise ValueError("Type the name your replies are signed with.")
        if len(name) > 60:
            raise ValueError("That name is over 60 characters: use the one customers see.")
        settings = dataclasses.replace(self.settings, agent_name=name)
        save_settings(self.profile.settings, settings)
        self.settings = settings
        self.composer.agent_name = name

    def open_again(self, stop: threading.Event | None = None) -> Workspace:
        """The same profile over a connection of its own, for a worker thread (SQLite
        connections are not shared between threads). `stop` interrupts its network waits."""
        store = open_store(self.profile.database, check_integrity=False)  # checked at start
        return _assemble(self.paths, self.profile, store, stop=stop)


def build_workspace(
    options: StartupOptions, timer: StartupTimer | None = None, now: datetime | None = None
) -> Workspace:
    timer = timer or StartupTimer()
    with timer.step("paths"):
        paths = AppPaths.resolve(options.home)
    with timer.step("store"):
        profile, store = _open_profile(paths, options)
    with timer.step("settings and services"):
        workspace = _assemble(paths, profile, store)
    if workspace.is_demo and workspace.accounts.count() == 0:
        with timer.step("demo workspace"):
            seed_demo_workspace(workspace, now or utc_now())
    return workspace


def open_profile(paths: AppPaths, name: str) -> Workspace:
    """A named profile's workspace (e.g. the default one, to add the first account to)."""
    profile = paths.profile(name)
    return _assemble(paths, profile, open_store(profile.database))


def _assemble(
    paths: AppPaths, profile: ProfilePaths, store: Store, stop: threading.Event | None = None
) -> Workspace:
    loaded = load_settings(profile.settings)
    for problem in loaded.problems:
        log.warning("%s", problem)
    if not profile.settings.exists():
        save_settings(profile.settings, loaded.settings)
    accounts = AccountRepository(store)
    mentions = MentionRepository(store)
    outbox = OutboxRepository(store)
    drafts = DraftRepository(store)
    health = AccountHealthRepository(store)
    usage = UsageRepository(store)  # what metered networks (X) spend
    # Secrets are filed under the profile's own random id: two workspaces never share them,
    # and moving the folder does not lose them.
    secrets_store = SecretStore(namespace=f"profile:{ProfileFacts(store).profile_id()}")
    cursors = CursorRepository(store)
    connector_for = ConnectorFactory(secrets_store, stop, usage)
    opened: list[Workspace] = []  # the triage service reads the agent name as it is now

    def agent_name() -> str:
        return opened[0].settings.agent_name

    # Snippets, team views and the brand profile go to the team outbox in their own
    # transaction too (app.team.library), in a workspace joined to a team.
    library_journal = LibraryJournal(store, agent_name)
    snippet_repository = SnippetRepository(store, journal=library_journal)
    brand_repository = BrandProfileRepository(store, journal=library_journal)
    view_repository = SavedViewRepository(store, journal=library_journal)
    sla_policies = SlaPolicyRepository(store, journal=library_journal)
    snippets = SnippetService(snippet_repository)
    brand = BrandService(brand_repository)
    composer = ComposerService(
        accounts, mentions, snippets, brand, SentReplies(store), loaded.settings.agent_name
    )

    # Triage changes in a workspace joined to a team go to the team outbox in their own
    # transaction (app.team.journal); the team service exchanges it with the team's server,
    # and each reply takes its mention's claim there before it is sent.
    team_journal = TeamJournal(store, key_finder(store))
    triage = TriageService(TriageRepository(store, journal=team_journal), agent_name)
    team = TeamService(store, secrets_store, agent_name, triage)
    team.library = snippets.team = TeamLibrary(
        store, snippet_repository, view_repository, brand_repository, sla_policies
    )
    team.gate = reply_gate = ReplyGate(
        store, key_finder(store), team.claim_call(), agent_name, journal=team_journal
    )
    sync = SyncService(
        store,
        accounts,
        mentions,
        cursors,
        outbox,
        connector_for,
        stop=stop,
        health=health,
        reply_gate=reply_gate,
    )
    workspace = Workspace(
        paths=paths,
        profile=profile,
        settings=loaded.settings,
        settings_problems=loaded.problems,
        store=store,
        accounts=accounts,
        mentions=mentions,
        inbox=InboxService(mentions, view_repository),
        outbox=outbox,
        secrets=secrets_store,
        account_service=AccountService(accounts, secrets_store),
        replies=ReplyService(accounts, mentions, outbox, drafts),
        sync=sync,
        health=HealthService(accounts, health, outbox, SkippedItemRepository(store), usage),
        outbox_service=OutboxService(outbox, drafts),
        triage=triage,
        snippets=snippets,
        brand=brand,
        composer=composer,
        team=team,
        sla_policies=sla_policies,
        requests=RequestsService(
            accounts,
            mentions,
            sync.afterwards,
            cursors,
            TriageRepository(store, journal=team_journal),
            connector_for,
            agent_name,
        ),
    )
    opened.append(workspace)
    return workspace


def _open_profile(paths: AppPaths, options: StartupOptions) -> tuple[ProfilePaths, Store]:
    if not options.demo:
        profile = paths.profile(DEFAULT_PROFILE)
        store = open_store(profile.database)
        if not options.demo_when_no_accounts or AccountRepository(store).count() > 0:
            return profile, store
        store.close()
        log.info("no account configured yet: opening the demo workspace")
    profile = paths.profile(DEMO_PROFILE)
    return profile, open_store(profile.database)


def seed_demo_workspace(workspace: Workspace, now: datetime) -> int:
    """Fill an empty demo profile with the fictional brand's accounts and mentions."""
    # Only the first demo start needs the generator and its data.
    from app.compose.brand import BrandProfile, Formality
    from app.demo.generator import demo_accounts, demo_mentions

    with workspace.store.write():
        account_ids = {
            account.handle: workspace.accounts.add(account).id for account in demo_accounts()
        }
        added = workspace.mentions.ingest(demo_mentions(account_ids, now))
        # Its voice (resources/demo/README.md): du in German, tú in Spanish, vous in French.
        french = {"fr": Formality.FORMAL}
        workspace.brand.save(BrandProfile(name="Fjellform", formality_by_language=french))
    workspace.snippets.install_default_pack()  # the brand-voice starter pack
    log.info("demo workspace: %d posts (the brand's own replies among them)", added)
    return added
