"""Periodic work (the outbox sweep, automatic closures, reminders): one registry, run by
`rq cron` in production and by `flask jobs run-due` in the embedded mode."""
