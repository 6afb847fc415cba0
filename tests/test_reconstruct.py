"""The committed dataset is exactly what the generator writes, and other draws satisfy the claims too."""
import filecmp

from covidat import __main__ as cli
from covidat.claims import check
from covidat.data import DEFAULT_DATA, load_dataset
from covidat.reconstruct import DEFAULT_SEED, reconstruct


def test_committed_files_are_the_default_seed(tmp_path):
    assert cli.main(["reconstruct", "--seed", str(DEFAULT_SEED), "--out", str(tmp_path)]) == 0
    for name in ("patients.csv", "assumptions.csv"):
        assert filecmp.cmp(tmp_path / name, DEFAULT_DATA / name, shallow=False), name


def test_another_seed_is_another_valid_dataset(tmp_path):
    other = reconstruct(DEFAULT_SEED + 7)
    committed = load_dataset(DEFAULT_DATA).patients
    assert not other.drop(columns="patient_id").equals(committed.drop(columns="patient_id"))
    assert not [c for c in check(other) if c.status == "fails"]
    cli.reconstruct.write(other, tmp_path)
    load_dataset(tmp_path)  # and it meets the contract


def test_reconstruction_draws_only_documented_quantities():
    # Variables no source constrains (age, sex, comorbidities) are not invented.
    committed = load_dataset(DEFAULT_DATA).patients
    assert not {"age", "sex", "comorbidities"} & set(committed.columns)
    assert (committed["died"] == 0).all()  # deaths: not reported, assumed none (assumptions.csv)
