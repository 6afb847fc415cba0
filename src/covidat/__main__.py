"""Command line.

python -m covidat book [--data DIR]                build the book strictly into _build/html (`make book`)
python -m covidat reconstruct --seed S --out DIR   write the book's batch of reconstructed datasets and its typical one
python -m covidat check --data DIR                 the scorecard: every published claim, published
                                                   against reproduced (exit 1 if one is not
                                                   reproduced, 2 if the data break the contract)
python -m covidat results --data DIR [--format F]  every estimate the book shows (csv or json); on the
                                                   reconstruction with its range across consistent
                                                   datasets (recon_low, recon_high, wide)
python -m covidat ranges [--out FILE]              compute those ranges from the book's weighted batch
python -m covidat readings                         score the abstract's readings of the hospital-stay
                                                   claims (data/reconstructed/readings*.csv)
python -m covidat counterexamples                  search for datasets breaking the conclusions that held
                                                   in every dataset drawn (data/reconstructed/counterexamples/)

Each command imports only the layers it uses, when it runs: `--help` needs none of them, and
`check` never loads the charts or the book's machinery.
"""
import argparse
import sys

DATA_HELP = "dataset directory (default: $COVIDAT_DATA, else the reconstruction in data/reconstructed)"


def book(args) -> int:
    from covidat.book import build
    return build.build(data=args.data)


def reconstruct(args) -> int:
    from covidat.reconstruction import pinned, sampler
    seed = sampler.DEFAULT_SEED if args.seed is None else args.seed
    patients, batch = pinned.reconstruct(seed, processes=args.processes)
    table = pinned.committed_table(batch, sampler.variants(), sampler.reweighted)
    sampler.write(patients, args.out, batch, table)
    print(f"wrote {args.out}/patients.csv, assumptions.csv, batch.csv and pinned.csv (seed {seed})")
    return 0


def load(directory):
    """The dataset in `directory`, or None after printing why it breaks the contract."""
    from covidat import data
    try:
        return data.load_dataset(directory)
    except data.DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def results(args) -> int:
    from covidat import endpoints
    dataset = load(args.data)
    if dataset is None:
        return 2
    table = endpoints.results(dataset.patients)
    if dataset.is_reconstruction:
        from covidat.reconstruction import ranges
        table = ranges.attach(table)
    print(table.to_json(orient="records", indent=1) if args.format == "json"
          else table.to_csv(index=False, lineterminator="\n"), end="")
    return 0


def ranges(args) -> int:
    from covidat import data
    from covidat.reconstruction import ranges
    table = ranges.compute(data.load_dataset(data.DEFAULT_DATA).patients, processes=args.processes)
    ranges.write(table, args.out)
    print(f"wrote {args.out}: {len(table)} results (effective sample size {table['ess'].max():.1f})")
    return 0


def readings(args) -> int:
    from covidat.reconstruction import readings
    batches, constants = readings.score(processes=args.processes)
    readings.write(batches, constants)
    print(f"wrote {readings.DATASETS} and {readings.CONSTANTS} ({readings.ROUNDS} rounds)")
    return 0


def counterexamples(args) -> int:
    from covidat.data import DEFAULT_DATA
    from covidat.reconstruction import counterexample, pinned
    conclusions = counterexample.to_search(pinned.load_committed(DEFAULT_DATA / "pinned.csv"))
    searches = counterexample.search_all(conclusions, args.seed, args.processes)
    counterexample.write(searches, args.seed)
    print(counterexample.table(searches).to_string(index=False))
    print(f"wrote {counterexample.DIRECTORY}")
    return 0


def check(args) -> int:
    from covidat.beyond import scorecard
    from covidat.data import coherence
    dataset = load(args.data)
    if dataset is None:
        return 2
    kind = "the book's reconstruction" if dataset.is_reconstruction else "supplied data, not the reconstruction"
    print(f"dataset: {dataset.name} ({kind})\n")
    card = scorecard.scorecard(dataset.patients)
    print(card.drop(columns="chapter").to_string(index=False))
    print(f"\n{scorecard.summary(card)}")
    found = scorecard.patterns(dataset.patients).query("msc + placebo > 0")
    for row in found.itertuples(index=False):
        print(f"{row.pattern}: {row.msc} MSC, {row.placebo} placebo ({row.why})")
    warnings = coherence.violations(dataset.patients)
    for w in warnings.itertuples(index=False):
        print(f"warning: {w.patient_id}: {w.message} ({w.rule})")
    print(f"{len(warnings)} clinical coherence warnings (not errors)")
    return 1 if scorecard.counts(card)["not reproduced"] else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m covidat")
    commands = parser.add_subparsers(dest="command", required=True)
    bk = commands.add_parser("book", help="build the book strictly into _build/html")
    bk.add_argument("--data", help=DATA_HELP)
    rec = commands.add_parser("reconstruct", help="write a reconstructed dataset")
    rec.add_argument("--seed", type=int, help="random seed (default: the one the committed reconstruction used)")
    rec.add_argument("--out", required=True)
    rec.add_argument("--processes", type=int, default=2, help="worker processes for the sampling rounds")
    chk = commands.add_parser("check", help="recompute every published claim from a dataset")
    chk.add_argument("--data", help=DATA_HELP)
    res = commands.add_parser("results", help="print every estimate the book shows")
    res.add_argument("--data", help=DATA_HELP)
    res.add_argument("--format", choices=("csv", "json"), default="csv")
    rng = commands.add_parser("ranges", help="each estimate's range across datasets consistent with the abstract")
    rng.add_argument("--out", default="data/reconstructed/ranges.csv")
    rng.add_argument("--processes", type=int, default=2, help="worker processes, one dataset each at a time")
    rd = commands.add_parser("readings", help="score the abstract's readings of the hospital-stay claims")
    rd.add_argument("--processes", type=int, default=2, help="worker processes for the sampling rounds")
    ce = commands.add_parser("counterexamples", help="search for datasets breaking the conclusions that held in "
                             "every dataset of the book's batch")
    ce.add_argument("--seed", type=int, default=0)
    ce.add_argument("--processes", type=int, default=2, help="worker processes, one conclusion each at a time")
    args = parser.parse_args(argv)
    commands = {"book": book, "reconstruct": reconstruct, "results": results, "ranges": ranges, "check": check,
                "readings": readings, "counterexamples": counterexamples}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
