"""Periodic work (the outbox sweep, automatic closures, reminders): one registry, enqueued by
`flask jobs cron` (RQ's cron scheduler) in production and run by `flask jobs tick` or
`flask jobs run-due` in the embedded mode."""
