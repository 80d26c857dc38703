"""What the ticket service announces, for the packages that react to a ticket's change.

The service sits below the packages that react (the clocks, the notices and what they attach:
calendar invitations, answer links), so it never imports them: it sends these blinker signals
and they subscribe (app.sla.reactions, app.notify.reactions; `create_app` imports them). The two
first are sent inside the change's transaction, so what a receiver writes (clocks, outbox rows)
is committed with the change, or rolled back with it.

- `event_applied`, sender the ticket, `event=`: a workflow event changed the ticket (created,
  an action, a system closure); the clocks follow the kind's `clocks` (app.tickets.events).
- `event_announced`, sender the ticket, `event=`, `actor=`: tell people; each receiver returns
  the OutboxMessage rows it wrote.
- `change_committed`, sender None, `messages=`: after the commit; the rows go to the queue.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

event_applied = _signals.signal("relais.ticket-event-applied")
event_announced = _signals.signal("relais.ticket-event-announced")
change_committed = _signals.signal("relais.ticket-change-committed")
