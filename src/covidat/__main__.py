"""Command line.

python -m covidat reconstruct --seed S --out DIR   write a reconstructed dataset
python -m covidat check --data DIR                 the scorecard: every published claim, published
                                                   against reproduced (exit 1 if one is not
                                                   reproduced, 2 if the data break the contract)
python -m covidat results --data DIR [--format F]  every estimate the book shows (csv or json); on the
                                                   reconstruction with its range across consistent
                                                   datasets (recon_low, recon_high, wide)
python -m covidat ranges [--n N] [--out FILE]      compute those ranges from a batch of N datasets
"""
import argparse
import sys

from covidat.data import coherence
from covidat import data, endpoints
from covidat.data.contract import DEFAULT_DATA
from covidat.reconstruction import ranges, sampler
from covidat.beyond import scorecard


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m covidat")
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("reconstruct", help="write a reconstructed dataset")
    rec.add_argument("--seed", type=int, default=sampler.DEFAULT_SEED)
    rec.add_argument("--out", required=True)
    chk = commands.add_parser("check", help="recompute every published claim from a dataset")
    chk.add_argument("--data", default=str(data.data_dir()))
    res = commands.add_parser("results", help="print every estimate the book shows")
    res.add_argument("--data", default=str(data.data_dir()))
    res.add_argument("--format", choices=("csv", "json"), default="csv")
    rng = commands.add_parser("ranges", help="each estimate's range across datasets consistent with the abstract")
    rng.add_argument("--n", type=int, default=ranges.DEFAULT_SIZE)
    rng.add_argument("--out", default=str(ranges.PATH))
    args = parser.parse_args(argv)

    if args.command == "reconstruct":
        sampler.write(sampler.reconstruct(args.seed), args.out)
        print(f"wrote {args.out}/patients.csv and assumptions.csv (seed {args.seed})")
        return 0
    if args.command == "ranges":
        table = ranges.compute(data.load_dataset(DEFAULT_DATA).patients, args.n)
        ranges.write(table, args.out)
        print(f"wrote {args.out}: {len(table)} results from {args.n} datasets (ESS {table['ess'].min():.0f} at least)")
        return 0
    try:
        dataset = data.load_dataset(args.data)
    except data.DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "results":
        table = endpoints.results(dataset.patients)
        if dataset.is_reconstruction:
            table = ranges.attach(table)
        print(table.to_json(orient="records", indent=1) if args.format == "json"
              else table.to_csv(index=False, lineterminator="\n"), end="")
        return 0
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

if __name__ == "__main__":
    sys.exit(main())
