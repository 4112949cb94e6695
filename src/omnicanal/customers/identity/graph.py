"""The identity graph in memory: profiles, identifiers, and how one message changes them.

:class:`IdentityGraph` holds the part of the graph a batch of messages touches (loaded by
``store``) and applies :data:`rules.RULES` to each message in turn, exactly as if the
messages came one by one. It records every change (new profiles and identifiers, merges,
flags, conflicts) for the store to write in one transaction. Nothing here reads or writes
a database, so the rules are tested by the hundred in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from omnicanal.customers.identifiers import Identifier, IdentifierKind
from omnicanal.customers.identity.blocked import Blocklist, default_blocklist
from omnicanal.customers.identity.ids import fast_id
from omnicanal.customers.identity.person import PersonFacts, births_differ, disagree
from omnicanal.customers.identity.rules import (
    HOUSEHOLD_MAX,
    RULES,
    SHAREABLE_KINDS,
    MergeRule,
    ReviewReason,
)
from omnicanal.customers.identity.state import (
    Conflict,
    HouseholdLink,
    IdentifierState,
    Merge,
    Observation,
    Outcome,
    ProfileState,
)

__all__ = [
    "Conflict",
    "HouseholdLink",
    "IdentifierState",
    "IdentityGraph",
    "Merge",
    "Observation",
    "Outcome",
    "ProfileState",
]


HOUSEHOLD_KINDS = frozenset(
    {IdentifierKind.email, IdentifierKind.phone, IdentifierKind.loyalty_card}
)


def _order(identifier: Identifier) -> tuple[int, str]:
    return (RULES[identifier.kind].priority, identifier.value)


class IdentityGraph:
    """The loaded part of the identity graph and the changes made to it."""

    def __init__(
        self,
        *,
        make_id: Callable[[], str] = fast_id,
        separations: Iterable[tuple[str, str]] = (),
        blocklist: Blocklist | None = None,
    ) -> None:
        self.make_id = make_id
        self.blocklist = blocklist if blocklist is not None else default_blocklist()
        self.profiles: dict[str, ProfileState] = {}
        self.identifiers: dict[tuple[str, str], IdentifierState] = {}
        self.separated: dict[str, set[str]] = {}
        self.aliases: dict[str, str] = {}
        self.merges: list[Merge] = []
        self.conflicts: list[Conflict] = []
        self.households: list[HouseholdLink] = []
        self.identified: list[tuple[str, list[str]]] = []
        self._open_conflicts: set[frozenset[str]] = set()
        for a, b in separations:
            self.keep_apart(a, b)

    # -- loading ----------------------------------------------------------------------------

    def add_profile(self, profile: ProfileState) -> None:
        self.profiles[profile.id] = profile

    def add_identifier(self, state: IdentifierState) -> None:
        self.identifiers[state.identifier.key] = state

    def keep_apart(self, a: str, b: str) -> None:
        """Never merge the profiles containing ``a`` and ``b`` (a reviewer said so)."""
        self.separated.setdefault(a, set()).add(b)
        self.separated.setdefault(b, set()).add(a)

    def note_open_conflict(self, a: str, b: str) -> None:
        """A review between these two profiles is already open: do not open another."""
        self._open_conflicts.add(frozenset((a, b)))

    # -- reading ----------------------------------------------------------------------------

    def root(self, profile_id: str) -> str:
        """The profile that ``profile_id`` is now part of (a profile merged into a loaded one
        before this read included)."""
        profile = self.profiles.get(profile_id)
        if profile is None:
            profile = self.profiles[self.aliases[profile_id]]
        while profile.merged_into is not None:
            profile = self.profiles[profile.merged_into]
        return profile.id

    def is_recognised(self, profile_id: str) -> bool:
        return self.profiles[self.root(profile_id)].recognised

    # -- the rules --------------------------------------------------------------------------

    def observe(self, observation: Observation) -> Outcome:
        """Apply one message's identifiers to the graph; returns what it did."""
        outcome = Outcome(profile_id=None)
        facts = observation.person
        known: list[IdentifierState] = []
        new: list[Identifier] = []
        refused: list[IdentifierState] = []
        shared: list[IdentifierState] = []
        for identifier in sorted(set(observation.identifiers), key=_order):
            state = self.identifiers.get(identifier.key)
            if self.blocklist.reason(identifier) is not None:
                outcome.blocked.append(identifier)
                if state is not None:
                    self._touch(state, observation)
                    self._block(state, observation, outcome)
                continue
            if state is None:
                new.append(identifier)
                continue
            self._touch(state, observation)
            if state.shared:
                outcome.ignored_shared.append(identifier)
                shared.append(state)
            elif self._refuses(state, facts):
                # Another person's identifier (a household's landline or e-mail, a lent card).
                refused.append(state)
                outcome.refused.append(identifier)
            else:
                known.append(state)

        target: str | None = None
        chosen_by: Identifier | None = None
        # 1. Known anchors: the strongest chooses the person; the others join it or conflict.
        for state in (s for s in known if s.identifier.anchor):
            profile = self.root(state.profile_id)
            if target is None:
                target, chosen_by = profile, state.identifier
            elif profile != target:
                target = self._join(target, profile, state, observation, outcome)
        # 2. New anchors: on the person, or a new person (an anonymous visitor identified).
        for identifier in (i for i in new if i.anchor):
            if target is None:
                visitor = self._anonymous_profile_of(known)
                named = self._named_among(shared, facts)
                if visitor is not None:
                    target = self.root(visitor.profile_id)
                    outcome.identified = True
                elif named is not None and self._fits(named, identifier):
                    target = named
                else:
                    target = self._new_profile(observation, outcome)
                chosen_by = identifier
                self._attach(
                    identifier,
                    target,
                    observation,
                    outcome,
                    linked_by=visitor.identifier if visitor is not None else None,
                )
            elif self._fits(target, identifier):
                self._attach(identifier, target, observation, outcome, linked_by=chosen_by)
            else:
                target, chosen_by = self._clash(
                    target, chosen_by, identifier, known, observation, outcome
                )
        # 3. Known linking identifiers: they bring anonymous activity, never a second person.
        for state in (s for s in known if not s.identifier.anchor):
            profile = self.root(state.profile_id)
            if target is None:
                target, chosen_by = profile, state.identifier
            elif profile == target or self._kept_apart(target, profile):
                continue
            elif disagree(self.profiles[target].facts, self.profiles[profile].facts):
                if observation.trusted:
                    self._seen_with_another_person(state, target, observation, outcome)
            elif not self.profiles[profile].recognised:
                self._merge(target, profile, MergeRule.anonymous_activity, state, observation)
                outcome.merges.append(self.merges[-1])
                outcome.identified |= self.profiles[target].recognised
            elif not self.profiles[target].recognised:
                self._merge(profile, target, MergeRule.anonymous_activity, state, observation)
                outcome.merges.append(self.merges[-1])
                outcome.identified = True
                target = profile
            else:
                self._seen_with_another_person(state, target, observation, outcome)
        # 4. New linking identifiers go with the message's profile.
        new_links = [i for i in new if not i.anchor]
        if target is None and new_links:
            target = self._named_among(shared, facts) or self._new_profile(observation, outcome)
        for identifier in new_links:
            assert target is not None
            self._attach(identifier, target, observation, outcome, linked_by=chosen_by)
        # 5. A person only other people's identifiers name: their own profile, in their household.
        if target is None and facts and (refused or shared or outcome.blocked):
            target = self._named_among(shared, facts) or self._new_profile(observation, outcome)
        if target is not None and observation.trusted:
            for state in refused:
                self._seen_with_another_person(
                    state, self.root(target), observation, outcome, household=True
                )
            for state in shared:
                # Past a household's size the value is generic: its people are not counted.
                if len(state.seen_with) >= HOUSEHOLD_MAX:
                    continue
                if facts and self.root(target) not in {self._root_of(p) for p in state.seen_with}:
                    self._seen_with_another_person(
                        state, self.root(target), observation, outcome, household=True
                    )

        if target is not None:
            target = self.root(target)
            outcome.home = self._home(chosen_by, target)
            if facts:
                person = self.profiles[target]
                outcome.contradicted = births_differ(facts, person.facts)
                person.facts |= facts
                kept = person.kept.keeping(facts)
                if kept != person.kept:
                    person.kept = kept
                    person.changed = True
            self.profiles[target].seen(observation.at)
            if outcome.identified:
                anonymous = [
                    i.value
                    for i in observation.identifiers
                    if i.kind is IdentifierKind.anonymous_id
                ]
                self.identified.append((target, anonymous))
        outcome.profile_id = target
        return outcome

    # -- steps ------------------------------------------------------------------------------

    def _home(self, chosen_by: Identifier | None, person: str) -> str:
        """The profile of ``person`` the message came through: the one that first held the
        identifier that chose it, when that profile is part of the person."""
        state = self.identifiers.get(chosen_by.key) if chosen_by is not None else None
        if state is None:
            return person
        home = state.home_profile_id
        if home in self.profiles or home in self.aliases:
            return home if self.root(home) == person else person
        return person

    def _touch(self, state: IdentifierState, observation: Observation) -> None:
        if observation.at > state.last_seen_at:
            state.last_seen_at = observation.at
            state.last_source = observation.source
        if observation.at < state.first_seen_at:
            state.first_seen_at = observation.at
        state.changed = True

    def _new_profile(self, observation: Observation, outcome: Outcome) -> str:
        profile = ProfileState(id=self.make_id(), created_at=observation.decided_at, is_new=True)
        self.profiles[profile.id] = profile
        outcome.created = True
        return profile.id

    def _anonymous_profile_of(self, known: list[IdentifierState]) -> IdentifierState | None:
        """The device or cookie of this message that points to an anonymous profile."""
        for state in known:
            if not self.profiles[self.root(state.profile_id)].recognised:
                return state
        return None

    def _root_of(self, profile_id: str) -> str:
        """The root of a profile if it is loaded (an identifier may name people who are not)."""
        profile_id = self.aliases.get(profile_id, profile_id)
        return self.root(profile_id) if profile_id in self.profiles else profile_id

    def _refuses(self, state: IdentifierState, facts: PersonFacts) -> bool:
        """Whether the message names another person than the identifier's: its given name or
        birth date disagrees with the profile's (a login or customer number is followed)."""
        if not facts or state.identifier.kind not in SHAREABLE_KINDS:
            return False
        return disagree(facts, self.profiles[self.root(state.profile_id)].facts)

    def _named_among(self, shared: list[IdentifierState], facts: PersonFacts) -> str | None:
        """The one person among those a shared identifier was seen with whom the message's
        given name and birth date name (Cédric among the Morins of one landline)."""
        if not facts or not shared:
            return None
        people = {self._root_of(p) for state in shared for p in state.seen_with}
        people &= set(self.profiles)
        named = [
            p
            for p in people
            if self.profiles[p].facts and not disagree(facts, self.profiles[p].facts)
        ]
        return named[0] if len(named) == 1 else None

    def _block(self, state: IdentifierState, observation: Observation, outcome: Outcome) -> None:
        """A stored value now on the blocked list: shared from now on, its merges re-examined."""
        if not state.shared:
            state.shared = True
            state.shared_at = observation.decided_at
            state.changed = state.flagged = True
            outcome.flagged.append(state.identifier)

    def _attach(
        self,
        identifier: Identifier,
        profile_id: str,
        observation: Observation,
        outcome: Outcome,
        *,
        linked_by: Identifier | None,
    ) -> None:
        profile = self.profiles[profile_id]
        state = IdentifierState(
            id=self.make_id(),
            identifier=identifier,
            profile_id=profile_id,
            home_profile_id=profile_id,
            source=observation.source,
            last_source=observation.source,
            first_seen_at=observation.at,
            last_seen_at=observation.at,
            seen_with=[profile_id],
            first_event_ref=observation.event_ref,
            linked_by=f"{linked_by.kind.value}:{linked_by.value}" if linked_by else None,
            is_new=True,
        )
        self.identifiers[identifier.key] = state
        if identifier.anchor:
            profile.anchors.setdefault(identifier.kind, set()).add(identifier.value)
            profile.changed = True
        outcome.added.append(identifier)

    def _clash(
        self,
        target: str,
        chosen_by: Identifier | None,
        identifier: Identifier,
        known: list[IdentifierState],
        observation: Observation,
        outcome: Outcome,
    ) -> tuple[str, Identifier | None]:
        """A new anchor that the message's profile cannot take (a second login or loyalty
        card, one email too many): it starts a profile of its own and the pair goes to
        review. If it is stronger than what chose the profile, the message is its person's,
        and the weaker anchors that pointed elsewhere were seen with another person."""
        own = self._new_profile(observation, outcome)
        self._attach(identifier, own, observation, outcome, linked_by=None)
        values = self.profiles[target].anchors.get(identifier.kind, set())
        clashing = {Identifier(identifier.kind, v, anchor=True) for v in values}
        weaker = [
            s
            for s in known
            if s.identifier.anchor
            and self.root(s.profile_id) == target
            and not RULES[s.identifier.kind].exclusive
        ]
        self._conflict(
            target,
            own,
            identifier,
            tuple(sorted(clashing | {identifier} | {s.identifier for s in weaker})),
            observation,
            outcome,
        )
        if chosen_by is None or RULES[identifier.kind].priority >= RULES[chosen_by.kind].priority:
            return target, chosen_by
        for state in weaker:
            self._seen_with_another_person(state, own, observation, outcome)
        return own, identifier

    def _fits(self, profile_id: str, identifier: Identifier) -> bool:
        """Whether a new anchor may join a profile without breaking its kind's limit."""
        values = self.profiles[profile_id].anchors.get(identifier.kind, set())
        return identifier.value in values or len(values) < RULES[identifier.kind].per_profile

    def _violation(self, a: str, b: str) -> IdentifierKind | None:
        """The first kind whose limit one profile made of ``a`` and ``b`` would break."""
        left, right = self.profiles[a].anchors, self.profiles[b].anchors
        for kind in sorted(set(left) | set(right), key=lambda k: RULES[k].priority):
            ours, theirs = left.get(kind, set()), right.get(kind, set())
            allowed = max(RULES[kind].per_profile, len(ours), len(theirs))
            if len(ours | theirs) > allowed:
                return kind
        return None

    def _kept_apart(self, a: str, b: str) -> bool:
        members_b = self.profiles[b].members
        return any(
            self.separated.get(member, set()) & members_b for member in self.profiles[a].members
        )

    def _join(
        self,
        target: str,
        other: str,
        via: IdentifierState,
        observation: Observation,
        outcome: Outcome,
    ) -> str:
        """Merge two people who share an anchor, unless a rule or a reviewer forbids it, their
        given names or birth dates disagree, or the source may not merge known people."""
        if self._kept_apart(target, other):
            return target
        broken = self._violation(target, other)
        reason = None
        if disagree(self.profiles[target].facts, self.profiles[other].facts):
            reason = ReviewReason.person_conflict
        elif broken is None and not observation.trusted:
            reason = ReviewReason.untrusted_source
        if reason is not None:
            self._conflict(
                target,
                other,
                via.identifier,
                tuple(sorted(i for i in observation.identifiers if i.anchor)),
                observation,
                outcome,
                reason=reason,
            )
            return target
        if broken is None:
            first, second = sorted((target, other), key=lambda p: (self.profiles[p].created_at, p))
            self._merge(
                first,
                second,
                MergeRule.shared_identifier,
                via,
                observation,
                through=tuple(sorted(set(observation.identifiers))),
            )
            outcome.merges.append(self.merges[-1])
            return first
        identifiers = tuple(
            sorted(
                {via.identifier}
                | {
                    Identifier(broken, value, anchor=True)
                    for profile in (target, other)
                    for value in self.profiles[profile].anchors.get(broken, set())
                }
            )
        )
        self._conflict(target, other, via.identifier, identifiers, observation, outcome, broken)
        if not RULES[via.identifier.kind].exclusive:
            self._seen_with_another_person(via, target, observation, outcome)
        return target

    def _merge(
        self,
        survivor: str,
        absorbed: str,
        rule: str,
        via: IdentifierState | None,
        observation: Observation,
        *,
        through: tuple[Identifier, ...] = (),
    ) -> None:
        winner, loser = self.profiles[survivor], self.profiles[absorbed]
        loser.merged_into = survivor
        loser.changed = winner.changed = True
        winner.facts |= loser.facts
        for kind, values in loser.anchors.items():
            winner.anchors.setdefault(kind, set()).update(values)
        winner.members |= loser.members
        for at in (loser.first_seen_at, loser.last_seen_at):
            if at is not None:
                winner.seen(at)
        self.merges.append(
            Merge(
                id=self.make_id(),
                survivor_id=survivor,
                absorbed_id=absorbed,
                rule=rule,
                identifier=via.identifier if via is not None else None,
                at=observation.decided_at,
                source=observation.source,
                event_ref=observation.event_ref,
                through=through,
            )
        )

    def merge_profiles(
        self, survivor: str, absorbed: str, *, rule: str, at: datetime, source: str, ref: str
    ) -> Merge:
        """Merge two profiles on a person's (or the matcher's) decision, whatever the limits."""
        observation = Observation(identifiers=(), at=at, source=source, event_ref=ref)
        self._merge(self.root(survivor), self.root(absorbed), rule, None, observation)
        return self.merges[-1]

    def _conflict(
        self,
        target: str,
        other: str,
        via: Identifier,
        identifiers: tuple[Identifier, ...],
        observation: Observation,
        outcome: Outcome,
        kind: IdentifierKind | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        pair = frozenset((target, other))
        if pair in self._open_conflicts:
            return
        self._open_conflicts.add(pair)
        conflict = Conflict(
            profile_a=target,
            profile_b=other,
            reason=reason or ReviewReason.conflict(kind or via.kind),
            identifiers=identifiers,
            at=observation.decided_at,
            source=observation.source,
            event_ref=observation.event_ref,
        )
        self.conflicts.append(conflict)
        outcome.conflicts.append(conflict)

    def _seen_with_another_person(
        self,
        state: IdentifierState,
        person: str,
        observation: Observation,
        outcome: Outcome,
        *,
        household: bool = False,
    ) -> None:
        """The identifier was seen with someone else than its profile's person.

        ``household``: the two are different people by their names or birth dates, so an
        e-mail, a phone or a card they share makes them one household."""
        joined = person not in state.seen_with
        if joined:
            state.seen_with.append(person)
            state.changed = state.flagged = True
        owner = self.root(state.profile_id)
        if owner not in state.seen_with:
            state.seen_with.insert(0, owner)
            state.changed = state.flagged = True
        if len(state.seen_with) >= RULES[state.identifier.kind].shared_after and not state.shared:
            state.shared = True
            state.shared_at = observation.decided_at
            outcome.flagged.append(state.identifier)
            if state.identifier.kind is IdentifierKind.phone and not household:
                self.households.append(
                    HouseholdLink(
                        profile_ids=tuple(state.seen_with),
                        reason="shared_phone",
                        identifier=state.identifier,
                    )
                )
        if (
            household
            and joined
            and state.identifier.kind in HOUSEHOLD_KINDS
            and len(state.seen_with) <= HOUSEHOLD_MAX
        ):
            self.households.append(
                HouseholdLink(
                    profile_ids=tuple(state.seen_with),
                    reason=f"shared_{state.identifier.kind.value}",
                    identifier=state.identifier,
                )
            )
