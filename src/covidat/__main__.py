"""Command line.

python -m covidat reconstruct --seed S --out DIR   write a reconstructed dataset
python -m covidat check --data DIR                 every published claim, published against reproduced
python -m covidat results --data DIR [--format F]  every estimate the book shows (csv or json)
"""
import argparse
import sys

from covidat import claims, coherence, data, endpoints, reconstruct


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m covidat")
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("reconstruct", help="write a reconstructed dataset")
    rec.add_argument("--seed", type=int, default=reconstruct.DEFAULT_SEED)
    rec.add_argument("--out", required=True)
    chk = commands.add_parser("check", help="recompute every published claim from a dataset")
    chk.add_argument("--data", default=str(data.data_dir()))
    res = commands.add_parser("results", help="print every estimate the book shows")
    res.add_argument("--data", default=str(data.data_dir()))
    res.add_argument("--format", choices=("csv", "json"), default="csv")
    args = parser.parse_args(argv)

    if args.command == "reconstruct":
        reconstruct.write(reconstruct.reconstruct(args.seed), args.out)
        print(f"wrote {args.out}/patients.csv and assumptions.csv (seed {args.seed})")
        return 0
    try:
        dataset = data.load_dataset(args.data)
    except data.DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "results":
        table = endpoints.results(dataset.patients)
        print(table.to_json(orient="records", indent=1) if args.format == "json"
              else table.to_csv(index=False, lineterminator="\n"), end="")
        return 0
    kind = "the book's reconstruction" if dataset.is_reconstruction else "supplied data, not the reconstruction"
    print(f"dataset: {dataset.name} ({kind})\n")
    table = claims.check_table(claims.check(dataset.patients))
    table["reproduced"] = table["reproduced"].map(lambda v: "" if v != v or v is None else f"{v:.4g}")
    print(table.to_string(index=False))
    failed = (table["status"] == "fails").sum()
    print(f"\n{(table['status'] == 'holds').sum()} hold, {failed} fail, "
          f"{(table['status'] == 'not checkable').sum()} not checkable from patient data")
    warnings = coherence.violations(dataset.patients)
    for w in warnings.itertuples(index=False):
        print(f"warning: {w.patient_id}: {w.message} ({w.rule})")
    print(f"{len(warnings)} clinical coherence warnings (not errors)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
