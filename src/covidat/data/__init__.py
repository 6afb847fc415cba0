"""The data layer: what the book reads, checked before anything is computed from it.

contract    the dataset contract: load and validate any dataset directory (its names are this package's face)
claims      the published claims, the rule that decides whether one holds, and their words
coherence   clinical coherence rules: warnings for implausible patients
literature  other MSC trials and their pooled mortality
"""
from covidat.data.contract import (ASSUMPTION_COLUMNS, DEFAULT_DATA, PATIENT_COLUMNS, PUBLISHED, Column, DataError,
                                   Dataset, data_dir, dictionary, improvement_threshold, load_dataset, read_table,
                                   typed_frame)

__all__ = ["ASSUMPTION_COLUMNS", "DEFAULT_DATA", "PATIENT_COLUMNS", "PUBLISHED", "Column", "DataError", "Dataset",
           "data_dir", "dictionary", "improvement_threshold", "load_dataset", "read_table", "typed_frame"]
