"""spaCy/medspaCy pipeline pieces: line-aware sentences and the pipeline builder."""
