"""Mortality and the other registered secondary outcomes the patient-level data can address."""

ENDPOINTS = []
