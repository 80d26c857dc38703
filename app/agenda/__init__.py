"""Interventions in everyone's calendar: iCalendar invitations and private feeds."""
