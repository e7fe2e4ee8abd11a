//! What every report writer reads: the results of the computing stages of one run. It lives
//! here, below the writers and below `app`, so every import points down the pipeline (`app`
//! builds it, the writers read it).

use chrono::NaiveDate;

use crate::classify::Classification;
use crate::history::Changes;
use crate::model::Ledger;
use crate::reconcile::{InvariantCheck, Reconciliation};

/// The results of the computing stages of one run.
pub struct Input {
    pub as_of: NaiveDate,
    pub ledger: Ledger,
    pub recon: Reconciliation,
    pub class: Classification,
    /// Every client's account per currency, as the statements of account tell it.
    pub accounts: crate::report::statements::Accounts,
    /// Invariants checked after reconciliation (input rows accounted for, statement closing
    /// balances), recorded in `run.json` beside reconciliation's own.
    pub row_checks: Vec<InvariantCheck>,
    pub changes: Changes,
    pub timings: Vec<(&'static str, u128)>,
}
