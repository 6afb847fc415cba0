"""Safety: what a trial of this size can and cannot exclude."""

ENDPOINTS = []
