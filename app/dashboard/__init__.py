"""The supplier-follow-up coordinator's dashboard, scorecards and exports."""
