#!/usr/bin/env python3
"""The pandas peer for BENCHMARKS.md: what a competent analyst would write to age receivables.

    python3 -m venv /tmp/perf-venv && /tmp/perf-venv/bin/pip install pandas openpyxl
    /usr/bin/time -v /tmp/perf-venv/bin/python benches/peer/aging.py /tmp/perf/csv1m 2026-11-30

Reads invoices.*, payments.*, clients.* (csv via read_csv, xlsx via read_excel) from the folder,
finds the header row below the title block, parses text amounts and day-first dates, attributes
each payment to a client (an invoice number in the memo, else the payer's normalised name),
allocates per client and currency (named invoices first, then FIFO by due date; credit notes
FIFO too), and prints open items per aging bucket and currency.

It is deliberately simpler than arrears (no fuzzy names, no exact-amount or discount rule, no
issues list, no invariants, no client terms for missing due dates: net 30), so its totals are
close to, not equal to, the tool's; the point is the time a plain pandas script needs for the
same files.
"""

import re
import sys
import time
from pathlib import Path

import pandas as pd

HEADERS = {"invoices": "Invoice No", "payments": "תאריך", "clients": "Client ID"}
SUFFIXES = {"ltd", "inc", "llc", "gmbh", "co", "corp", "בעמ", "בע", "מ"}
BUCKETS = [(0, "Not due"), (30, "1-30"), (60, "31-60"), (90, "61-90"), (120, "91-120")]


def read(folder: Path, kind: str) -> pd.DataFrame:
    path = next(p for p in sorted(folder.glob(kind + ".*")) if p.suffix in (".csv", ".xlsx"))
    if path.suffix == ".xlsx":
        head = pd.read_excel(path, header=None, nrows=30, dtype=str)
    else:
        head = pd.read_csv(path, header=None, nrows=30, dtype=str, skip_blank_lines=False,
                           encoding="utf-8-sig", on_bad_lines="skip", names=range(30))
    row = next(i for i, r in head.iterrows() if HEADERS[kind] in set(r.dropna()))
    if path.suffix == ".xlsx":
        return pd.read_excel(path, header=row, dtype=object)
    return pd.read_csv(path, skiprows=row, dtype=str, encoding="utf-8-sig",
                       skip_blank_lines=False, on_bad_lines="skip")


def amounts(col: pd.Series) -> pd.Series:
    text = col.astype(str)
    negative = text.str.contains(r"\(|-$|^-", regex=True)
    value = pd.to_numeric(text.str.replace(r"[^\d.]", "", regex=True), errors="coerce")
    return value.where(~negative, -value).round(2)


def dates(col: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(col):
        return col
    return pd.to_datetime(col, format="%d/%m/%Y", errors="coerce")


def name_key(name) -> str:
    words = re.sub(r"[^\w\s]", "", str(name).lower()).split()
    while len(words) > 1 and words[-1] in SUFFIXES:
        words.pop()
    return " ".join(words)


def currency(col: pd.Series) -> pd.Series:
    return col.fillna("ILS").astype(str).str.strip().replace({"NIS": "ILS", 'ש"ח': "ILS"})


def main() -> None:
    folder, as_of = Path(sys.argv[1]), pd.Timestamp(sys.argv[2])
    started = time.perf_counter()
    inv, pay, cli = read(folder, "invoices"), read(folder, "payments"), read(folder, "clients")
    read_s = time.perf_counter() - started

    inv = inv[inv["Invoice No"].notna()].copy()
    inv["amount"] = amounts(inv["Amount"])
    inv["date"] = dates(inv["Invoice Date"])
    inv["due"] = dates(inv["Due Date"]).fillna(inv["date"] + pd.Timedelta(days=30))
    inv["cur"] = currency(inv["Currency"])
    credit = inv["Type"].astype(str).str.contains("Credit|זיכוי", regex=True)
    inv.loc[credit, "amount"] = -inv.loc[credit, "amount"].abs()
    inv = inv.dropna(subset=["amount", "date"])
    inv = inv[inv["date"] <= as_of].drop_duplicates(subset=["Invoice No"], keep=False)
    inv["number"] = inv["Invoice No"].astype(str).str.upper()

    pay = pay.rename(columns={"תאריך": "date", "תיאור": "memo", "שם המשלם": "payer",
                              "זכות": "amount", "מטבע": "cur"})
    pay["amount"] = amounts(pay["amount"])
    pay["date"] = dates(pay["date"])
    pay["cur"] = currency(pay["cur"])
    pay = pay.dropna(subset=["amount", "date"])
    pay = pay[(pay["date"] <= as_of) & (pay["amount"] > 0)]

    client_of_number = dict(zip(inv["number"], inv["Client ID"]))
    names = dict(zip(cli["Client Name"].map(name_key), cli["Client ID"]))
    names.update(zip(inv["Client Name"].map(name_key), inv["Client ID"]))
    refs = pay["memo"].fillna("").str.upper().str.findall(r"INV-?\d{4}-?\d+")
    pay["refs"] = refs.map(lambda r: [n for n in r if n in client_of_number])
    by_ref = pay["refs"].map(lambda r: client_of_number[r[0]] if r else None)
    pay["client"] = by_ref.fillna(pay["payer"].map(name_key).map(names))

    open_rows = []
    invoices = inv.sort_values(["due", "date", "number"])
    payments = dict(tuple(pay.dropna(subset=["client"]).sort_values("date")
                          .groupby(["client", "cur"])))
    for key, docs in invoices.groupby(["Client ID", "cur"]):
        numbers = list(docs["number"])
        open_ = dict(zip(numbers, docs["amount"]))
        fifo = [n for n in numbers if open_[n] > 0]
        credits = [-open_[n] for n in numbers if open_[n] < 0]
        for n in numbers:
            if open_[n] < 0:
                open_[n] = 0.0
        money = [(r, a) for r, a in zip(payments[key]["refs"], payments[key]["amount"])] \
            if key in payments else []
        money += [([], c) for c in credits]
        for named, amount in money:
            for n in list(named) + fifo:
                if amount <= 0:
                    break
                if open_.get(n, 0) > 0:
                    x = min(open_[n], amount)
                    open_[n] -= x
                    amount -= x
        for n, due in zip(numbers, docs["due"]):
            if abs(open_[n]) >= 0.005:
                open_rows.append((key[1], (as_of - due).days, open_[n]))
    items = pd.DataFrame(open_rows, columns=["cur", "days", "open"])
    items["bucket"] = "120+"
    for limit, label in reversed(BUCKETS):
        items.loc[items["days"] <= limit, "bucket"] = label
    total_s = time.perf_counter() - started
    for cur, group in items.groupby("cur"):
        parts = [f"{b}: {len(g)} / {g['open'].sum():,.2f}" for b, g in group.groupby("bucket", sort=False)]
        print(f"peer open items {cur}: " + "; ".join(parts))
    print(f"peer read_s={read_s:.1f} total_s={total_s:.1f}")


if __name__ == "__main__":
    main()
