"""The next action of an open case (docs/engine.md, "Next action").

Layer: engine (pure). Exactly one action per open case; every computed date is moved to
the next business day (weekends and public holidays), and an action is due when its date is
on or before `today`. The dunning step's date is the latest of its offset from the reference
due date, the minimum gap after the latest contact, the day after the latest kept promise's
due date and the day after the latest pause; `bound_by` says which one won (for the reason
shown to people).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from relancegit.engine.business_days import next_business_day
from relancegit.engine.facts import CaseEvents, is_formal_notice
from relancegit.engine.status import PlanState, PromiseOutcome, PromiseState, active_pause_until
from relancegit.model import Channel, Policy, Status

ONE_DAY = timedelta(days=1)
# After the last step (or a hand-over), check on the case once a month.
FOLLOWUP_DAYS = 30


class ActionKind(StrEnum):
    STEP = "step"
    PROMISE_CHECK = "promise-check"
    PROMISE_BROKEN = "promise-broken"
    PLAN_CHECK = "plan-check"
    PLAN_BROKEN = "plan-broken"
    DISPUTE_REVIEW = "dispute-review"
    ESCALATION_FOLLOWUP = "escalation-followup"


class Bound(StrEnum):
    """What fixed an action's date before the business-day shift."""

    OFFSET = "offset"  # reference due date + the step's offset
    MIN_GAP = "min-gap"  # latest contact + min_gap_days
    PROMISE = "promise"  # day after the latest kept promise's due date
    PAUSE = "pause"  # day after the latest pause's `until`
    EVENT = "event"  # the rule's own date (a check, a break, a review, a follow-up)


Day = date  # the field `NextAction.date` shadows the type inside the class body


@dataclass(frozen=True)
class NextAction:
    date: Day  # after the business-day shift
    kind: ActionKind
    step: str | None
    channel: Channel | None
    planned: Day  # before the shift
    bound_by: Bound
    offset: int | None = None  # the step's offset, for kind `step`
    about: Day | None = None  # the date of what it is about: contact, dispute, hand-over

    def is_due(self, today: Day) -> bool:
        return self.date <= today


@dataclass(frozen=True)
class ScheduleInput:
    status: Status
    facts: CaseEvents
    policy: Policy
    reference_due: date
    promise: PromiseState | None  # the latest promise
    kept_promise: PromiseState | None  # the latest kept promise
    plan: PlanState | None  # the latest plan
    today: date
    holidays: str = "FR"
    start_step: str | None = None  # the case's `start_step`


def next_action(data: ScheduleInput) -> NextAction | None:
    """The one next action of the case, or None once it is paid or written off."""
    action = _raw_action(data)
    if action is None:
        return None
    shifted = next_business_day(action.planned, data.holidays)
    return NextAction(
        date=shifted,
        kind=action.kind,
        step=action.step,
        channel=action.channel,
        planned=action.planned,
        bound_by=action.bound_by,
        offset=action.offset,
        about=action.about,
    )


def _raw_action(data: ScheduleInput) -> NextAction | None:
    status, facts, policy = data.status, data.facts, data.policy
    if status in (Status.PAID, Status.WRITTEN_OFF):
        return None
    if status == Status.ESCALATED:
        latest = facts.latest_event_date or data.today
        return _action(latest + timedelta(days=FOLLOWUP_DAYS), ActionKind.ESCALATION_FOLLOWUP, about=latest)
    if status == Status.DISPUTED and facts.open_dispute is not None:
        opened = facts.open_dispute.date
        review = opened + timedelta(days=policy.dispute_review_days)
        return _action(review, ActionKind.DISPUTE_REVIEW, about=opened)
    action = _agreements_or_dunning(data)
    until = active_pause_until(facts, data.today) if status == Status.PAUSED else None
    if until is not None and action.planned <= until:
        # A pause stops dunning: nothing before the day after it ends.
        return NextAction(
            date=action.date,
            kind=action.kind,
            step=action.step,
            channel=action.channel,
            planned=until + ONE_DAY,
            bound_by=Bound.PAUSE,
            offset=action.offset,
            about=action.about,
        )
    return action


def _agreements_or_dunning(data: ScheduleInput) -> NextAction:
    """Plans and promises first, the newest agreement winning, then the dunning steps."""
    facts, policy, plan, promise = data.facts, data.policy, data.plan, data.promise
    plan_is_newest = plan is not None and (promise is None or plan.plan.date >= promise.promise.date)
    if plan is not None and plan.active and plan.check_date is not None:
        installment = plan.next_installment
        return _action(plan.check_date, ActionKind.PLAN_CHECK, about=installment.due if installment else None)
    if plan is not None and plan_is_newest and plan.broken_on is not None and not facts.contact_since(plan.broken_on):
        step = policy.step(policy.on_broken_plan)
        return _action(
            plan.broken_on,
            ActionKind.PLAN_BROKEN,
            step=policy.on_broken_plan,
            channel=step.channel if step else None,
            about=plan.plan.date,
        )
    if promise is not None and promise.outcome == PromiseOutcome.PENDING:
        return _action(promise.check_date, ActionKind.PROMISE_CHECK, about=promise.promise.date)
    if (
        promise is not None
        and not plan_is_newest
        and promise.broken_on is not None
        and not facts.contact_since(promise.broken_on)
    ):
        # Contact at once when an agreement is missed: a call.
        return _action(promise.broken_on, ActionKind.PROMISE_BROKEN, channel=Channel.PHONE, about=promise.promise.date)
    return dunning_step(data)


def _done_steps(data: ScheduleInput) -> frozenset[str]:
    """The steps that count as done: those recorded, and those a rule skips (docs/engine.md).

    - `start_step`: the steps up to it were done before the case entered the ledger.
    - Never softer: the steps before the most advanced one done count as done, so an e-mail
      reminder never follows a postal letter or a formal notice.
    - An old debt with no contact yet starts at the latest step whose date has passed, but never
      beyond the last reminder before a formal notice or a hand-over: a formal notice is never
      the first contact.
    - After a broken plan, the steps before `on_broken_plan` count as done.
    """
    policy, steps = data.policy, data.policy.steps
    done = set(data.facts.done_steps)
    position = {step.id: i for i, step in enumerate(steps)}
    if data.start_step in position:
        done.update(s.id for s in steps[: position[data.start_step] + 1])
    reached = max((position[s] for s in done if s in position), default=None)
    if reached is not None:
        done.update(s.id for s in steps[:reached])
    elif not data.facts.contacts and data.today > data.reference_due:
        first = _old_debt_start(data)
        if first is not None:
            done.update(s.id for s in steps[: position[first]])
    plan = data.plan
    if plan is not None and plan.broken_on is not None:
        index = policy.step_index(policy.on_broken_plan)
        if index is not None:
            done.update(s.id for s in steps[:index])
    return frozenset(done)


def _old_debt_start(data: ScheduleInput) -> str | None:
    """The first step of a case entering the ledger late with no contact yet: the latest step
    whose date (reference due date + offset) has passed, among the steps before the first
    formal notice or hand-over."""
    start = None
    for step in data.policy.steps:
        if is_formal_notice(step.id, step) or step.channel == Channel.HANDOVER:
            break
        if step.offset >= 0 and data.reference_due + timedelta(days=step.offset) <= data.today:
            start = step.id
    return start


def dunning_step(data: ScheduleInput) -> NextAction:
    """The first step not yet done, on the latest of the dates that constrain it."""
    facts, policy, today = data.facts, data.policy, data.today
    done = _done_steps(data)
    past_due = today > data.reference_due
    step = next(
        (s for s in policy.steps if s.id not in done and not (past_due and s.offset < 0)),
        None,
    )
    last_contact = facts.last_contact
    if step is None:
        latest = last_contact or facts.latest_event_date or data.reference_due
        return _action(latest + timedelta(days=FOLLOWUP_DAYS), ActionKind.ESCALATION_FOLLOWUP, about=latest)
    candidates: list[tuple[date, Bound]] = [(data.reference_due + timedelta(days=step.offset), Bound.OFFSET)]
    if last_contact is not None:
        candidates.append((last_contact + timedelta(days=policy.min_gap_days), Bound.MIN_GAP))
    if data.kept_promise is not None:
        candidates.append((data.kept_promise.promise.due + ONE_DAY, Bound.PROMISE))
    if facts.pauses:
        candidates.append((facts.pauses[-1].until + ONE_DAY, Bound.PAUSE))
    planned, bound = candidates[0]
    for day, why in candidates[1:]:
        if day > planned:
            planned, bound = day, why
    about = last_contact if bound == Bound.MIN_GAP else None
    return NextAction(
        date=planned,
        kind=ActionKind.STEP,
        step=step.id,
        channel=step.channel,
        planned=planned,
        bound_by=bound,
        offset=step.offset,
        about=about,
    )


def _action(
    planned: date,
    kind: ActionKind,
    step: str | None = None,
    channel: Channel | None = None,
    about: date | None = None,
) -> NextAction:
    return NextAction(
        date=planned, kind=kind, step=step, channel=channel, planned=planned, bound_by=Bound.EVENT, about=about
    )
