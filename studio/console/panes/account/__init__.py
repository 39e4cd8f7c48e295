"""Account: the retake.tv account (section 6) through the service's commands."""
