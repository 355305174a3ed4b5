"""
The reads of [`HelpDesk`][deskflow.service.HelpDesk] — a view, a listing, the SLA clocks —
and the listings of [`HelpDesk.tickets`][deskflow.service.HelpDesk.tickets]: tickets by id
or by query, as the actor may see them, with authorization applied inside the paging.

A query is narrowed before it reaches the repository where the policy makes that safe (a
requester who may only view their own tickets asks for those alone), then every ticket is
checked by the policy; pages are fetched until the listing holds ``limit`` visible tickets
or the store has no more. The cursor handed back names the last ticket *examined*, so the
hidden ones are not scanned again by the next page.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal.explain import Explanation, explain
from deskflow._internal.pipeline import Pipeline, checked_actor
from deskflow.actors import Actor
from deskflow.authorization import (
    OWN,
    AuthorizationPolicy,
    DefaultAuthorization,
    Permission,
    require,
)
from deskflow.exceptions import InvalidInput, NotFound, PermissionDenied
from deskflow.fields import CustomField
from deskflow.ports import TicketRepository
from deskflow.queries import (
    MAX_LIMIT,
    Order,
    Page,
    TicketQuery,
    checked_limit,
    checked_order,
    encode_cursor,
    sort_key,
)
from deskflow.sla import SlaReport
from deskflow.views import TicketView, sees_internal, visible

#: The most tickets one call examines: past it, a page may come back short, with a cursor,
#: rather than scan a whole store for an actor who sees little of it.
MAX_EXAMINED = 10 * MAX_LIMIT


Fields = Mapping[str, CustomField]


def by_ids(
    repository: TicketRepository,
    policy: AuthorizationPolicy,
    actor: Actor,
    ids: object,
    fields: Fields | None = None,
) -> Page[TicketView]:
    """
    The tickets named by ``ids`` that exist and that ``actor`` may view, in the order given,
    each once.
    """
    if isinstance(ids, str) or not isinstance(ids, Iterable):
        raise InvalidInput(f"ids must be a list of ticket ids, got {ids!r}")
    views: list[TicketView] = []
    for ticket_id in dict.fromkeys(ids):
        try:
            views.append(visible(actor, repository.get(ticket_id), policy=policy, fields=fields))
        except (NotFound, PermissionDenied):
            continue  # a hidden or missing ticket is left out, never failing the rest
    return Page(views)


def narrowed(policy: AuthorizationPolicy, actor: Actor, query: TicketQuery) -> TicketQuery | None:
    """
    ``query`` limited to what ``actor`` may possibly view, where the policy says so plainly;
    None when that leaves nothing.

    With the default policy (or one built from its table) an actor whose view rules include
    "their own tickets" gets their own only. Any other policy is asked about each ticket and
    nothing is narrowed: a listing never skips a ticket ``view()`` would show.
    """
    own_only = False
    if isinstance(policy, DefaultAuthorization):
        rules = policy.rules_for(actor.role, Permission.VIEW)
        own_only = rules is not None and OWN in rules
    if not own_only:
        return query
    requesters = {actor.id} if query.requesters is None else query.requesters & {actor.id}
    return attrs.evolve(query, requesters=requesters) if requesters else None


def field_query(fields: Fields, actor: Actor, query: TicketQuery) -> TicketQuery:
    """
    ``query`` with its custom field values checked by the desk's declarations and in their
    canonical form; InvalidInput for an undeclared field, PermissionDenied when someone
    other than staff filters on a staff-only field or on tags (a listing must not answer
    what the view hides).
    """
    staff = sees_internal(actor)
    if not staff and (query.tags_all is not None or query.tags_any is not None):
        raise PermissionDenied(f"{actor.role}s may not filter on tags: tags are staff-only")
    if query.fields is None:
        return query
    values: dict[str, object] = {}
    for name, wanted in query.fields.items():
        spec = fields.get(name)
        if spec is None:
            known = ", ".join(sorted(fields)) or "none: this desk declares no fields"
            raise InvalidInput(f"unknown custom field {name!r} in the query; known: {known}")
        if spec.staff_only and not staff:
            raise PermissionDenied(f"{actor.role}s may not filter on the staff-only field {name!r}")
        values[name] = None if wanted is None else spec.check(wanted)
    return attrs.evolve(query, fields=values)


def by_query(
    repository: TicketRepository,
    policy: AuthorizationPolicy,
    actor: Actor,
    query: object,
    *,
    order: object,
    limit: object,
    after: str | None,
    fields: Fields | None = None,
) -> Page[TicketView]:
    """
    One page of at most ``limit`` tickets that ``query`` matches and ``actor`` may view.
    """
    if query is None:
        query = TicketQuery()
    if not isinstance(query, TicketQuery):
        raise InvalidInput(f"query must be a TicketQuery, got {type(query).__name__}")
    order, limit = checked_order(order), checked_limit(limit)
    query = field_query(fields or {}, actor, query)
    scoped = narrowed(policy, actor, query)
    if scoped is None:
        return Page(())
    views: list[TicketView] = []
    cursor, examined = after, 0
    while True:
        page = repository.find(scoped, order=order, limit=limit, after=cursor)
        for position, ticket in enumerate(page):
            examined += 1
            cursor = encode_cursor(order, sort_key(ticket, order))
            with contextlib.suppress(PermissionDenied):  # hidden: the next page starts after it
                views.append(visible(actor, ticket, policy=policy, fields=fields))
            if len(views) == limit or examined >= MAX_EXAMINED:
                more = position + 1 < len(page) or page.next_cursor is not None
                return Page(views, next_cursor=cursor if more else None)
        if page.next_cursor is None:
            return Page(views, next_cursor=None)
        cursor = page.next_cursor
        if not page.items:  # an adapter handing back an empty page with a cursor
            return Page(views, next_cursor=cursor)


def listing(
    repository: TicketRepository,
    policy: AuthorizationPolicy,
    actor: Actor,
    query: object,
    *,
    ids: object,
    order: object,
    limit: object,
    after: str | None,
    fields: Fields | None = None,
) -> Page[TicketView]:
    """
    Either listing: by ``ids`` or by ``query``, not both.
    """
    if ids is not None:
        if query is not None or after is not None:
            raise InvalidInput("give ids or a query (with its cursor), not both")
        return by_ids(repository, policy, actor, ids, fields)
    return by_query(
        repository, policy, actor, query, order=order, limit=limit, after=after, fields=fields
    )


class Reading(Pipeline):
    """
    The reads of a help desk: a ticket, a listing, the SLA clocks, each as the actor may
    see them.
    """

    def view(self, actor: Actor, ticket_id: str) -> TicketView:
        """
        The ticket as ``actor`` may see it (PermissionDenied if not at all).
        """
        actor = checked_actor(actor)
        ticket = self.repository.get(_checks.text("ticket_id", ticket_id))
        return visible(actor, ticket, policy=self.desk.authorization, fields=self.desk.fields)

    def tickets(
        self,
        actor: Actor,
        query: TicketQuery | None = None,
        *,
        ids: Iterable[str] | None = None,
        order: Order = "created",
        limit: int = 50,
        after: str | None = None,
    ) -> Page[TicketView]:
        """
        A listing as ``actor`` may see it, through the same projection as a view.

        With ``ids``: those tickets, in the order given, leaving out the missing ones and
        those ``actor`` may not view (never failing the batch). Otherwise one page of at most
        ``limit`` tickets that ``query`` (None: all) matches and ``actor`` may view, in
        ``order``, after the cursor ``after``; pass the page's ``next_cursor`` for the next one
        (None on the last page; a page may be short before the end when most tickets are
        hidden). A requester's query is narrowed to their own tickets in the store.
        """
        actor = checked_actor(actor)
        return listing(
            self.repository,
            self.desk.authorization,
            actor,
            query,
            ids=ids,
            order=order,
            limit=limit,
            after=after,
            fields=self.desk.fields,
        )

    def sla(self, actor: Actor, ticket_id: str) -> SlaReport:
        """
        The ticket's SLA clocks now, for staff allowed to read them (a staff read model: it
        says nothing of internal notes). PermissionDenied for a requester by default.
        """
        actor = checked_actor(actor)
        ticket = self.repository.get(_checks.text("ticket_id", ticket_id))
        require(self.desk.authorization, actor, Permission.VIEW_SLA, ticket)
        return self.desk.sla_for(ticket).evaluate(ticket, max(self._now(), ticket.updated_at))

    def explain(self, actor: Actor, ticket_id: str, rule: str | None = None) -> Explanation:
        """
        Why the desk's rules (or the rule named ``rule``) did or did not fire on the ticket,
        condition by condition, and when its time rules will next be checked (see
        ``deskflow.automation.explain``). For staff only, as it reads tags and staff-only
        fields: PermissionDenied for a requester by default.
        """
        actor = checked_actor(actor)
        ticket = self.repository.get(_checks.text("ticket_id", ticket_id))
        require(self.desk.authorization, actor, Permission.EXPLAIN, ticket)
        if rule is not None:
            rule = _checks.text("rule", rule)
        return explain(self.desk, ticket, rule, now=max(self._now(), ticket.updated_at))
