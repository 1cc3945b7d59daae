"""Named, parameterised conditions on a mention, which a filter asks for by name.

A search qualifier (`priority:urgent`, later `sentiment:`, `cluster:`…) narrows the inbox by
picking one of these and giving it values; the SQL stays here, in storage, written once.
A new kind of filter is one `NamedCondition` below (plus its column or table, in a
migration) and one qualifier entry in `app.inbox.qualifiers`.
"""

from __future__ import annotations

from dataclasses import dataclass

ConditionValue = str | int


@dataclass(frozen=True, slots=True)
class NamedCondition:
    """A condition's SQL over the mention `m`. `{values}` stands for a list of placeholders,
    one per value (for `IN`); without it the text holds exactly one `?` per value."""

    name: str
    sql: str

    def __call__(self, *values: ConditionValue) -> Condition:
        return Condition(self, values)


@dataclass(frozen=True, slots=True)
class Condition:
    """One named condition with its values: one more thing a mention must be."""

    named: NamedCondition
    values: tuple[ConditionValue, ...]

    def __post_init__(self) -> None:
        if "{values}" in self.named.sql:
            if not self.values:
                raise ValueError(f"the {self.named.name} condition needs at least one value")
        elif self.named.sql.count("?") != len(self.values):
            raise ValueError(
                f"the {self.named.name} condition takes {self.named.sql.count('?')} values"
            )

    def sql(self) -> tuple[str, list[ConditionValue]]:
        marks = ", ".join("?" * len(self.values))
        return self.named.sql.replace("{values}", marks), list(self.values)


# Priority is 0 (none) to 3 (urgent); no index: it filters the time-ordered walk.
PRIORITY = NamedCondition("priority", "m.priority IN ({values})")

CONDITIONS: tuple[NamedCondition, ...] = (PRIORITY,)
