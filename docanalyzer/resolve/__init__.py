"""From matched spans to answers: mentions, element statuses, procedure status, findings."""
