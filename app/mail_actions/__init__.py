"""Answering from the mailbox: signed links that let the contact approve or reopen a ticket."""
