"""A committed notebook cell's outputs against a fresh execution's, judged exactly as nbval judges them.

nbval (`pytest --nbval`) would execute every notebook again in a kernel of its own; the build has
already executed it, with the same kernel, folder and dataset (covidat.book.build caches it). So the
executions are compared instead, with nbval's own code (nbval 0.11, pinned), not a copy of its rules:
- its markers: the `nbval-skip`, `nbval-ignore-output`, `nbval-check-output`, `raises-exception` tags
  and the `# NBVAL_*` comments (comments win over tags);
- a cell that raised fails unless marked to raise; a reference cell never run must have no outputs;
- streams merged per name, carriage returns and backspaces applied (`coalesce_streams`), stdout and
  stderr compared apart;
- every output field but images, metadata, tracebacks, execution counts and output types
  (`IPyNbFile.skip_compare` without --nbdime), compared after the regexes of
  tests/nbval_sanitize.cfg are applied to both sides (`IPyNbCell.compare_outputs`).
"""
import copy
from collections import OrderedDict, defaultdict
from types import SimpleNamespace

from nbval.plugin import (IPyNbCell, coalesce_streams, find_comment_markers, find_metadata_tags,
                          get_sanitize_patterns, nocolors)

from covidat import ROOT

SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
SKIP_COMPARE = ("metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
                "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg")


class Judge:
    """What nbval's IPyNbCell.compare_outputs reads from its test item, so that nbval's own method
    (and its report of a difference) does the comparing."""
    compare_outputs = IPyNbCell.compare_outputs
    format_output_compare = IPyNbCell.format_output_compare
    sanitize = IPyNbCell.sanitize
    colors = nocolors

    def __init__(self, config, sanitize=SANITIZE):
        self.config, self.ihook = config, config.hook
        patterns = OrderedDict(get_sanitize_patterns(sanitize.read_text()))
        self.parent = SimpleNamespace(skip_compare=SKIP_COMPARE, sanitize_patterns=patterns)


def options(cell) -> dict:
    """nbval's options for a code cell (IPyNbFile.collect): tags, then comments; outputs checked by default."""
    found = defaultdict(bool, find_metadata_tags(cell.metadata))
    found.update(dict(find_comment_markers(cell.source)))
    found.setdefault("check", True)
    return found


def difference(committed, executed, judge: Judge) -> str | None:
    """Why the executed cell's outputs fail nbval against the committed cell's, or None if they pass
    (also None for a cell nbval skips: the caller asks `options(committed)["skip"]` first)."""
    marked = options(committed)
    if marked["skip"]:
        return None
    outputs = coalesce_streams(copy.deepcopy(executed.outputs))
    errors = [o for o in outputs if o.output_type == "error"]
    if errors and not marked["check_exception"]:
        return "Cell execution caused an exception\n" + "\n".join(errors[0].traceback)
    if committed.execution_count is None:
        return "Unrun reference cell has outputs" if committed.outputs else None
    if marked["check"] and not judge.compare_outputs(outputs, coalesce_streams(copy.deepcopy(committed.outputs))):
        return "Cell outputs differ\n" + "\n".join(judge.comparison_traceback)
    return None
