//! arrears: the monthly collections batch of an accounting office, as a library behind the
//! `arrears` binary. The pipeline is ingest -> reconcile -> classify -> report -> output, one
//! entry function per stage (see [`app`]).

pub mod app;
pub mod classify;
pub mod cli;
pub mod config;
pub mod hash;
pub mod history;
pub mod ingest;
pub mod init;
mod keys;
pub mod lock;
pub mod memory;
pub mod model;
pub mod normalize;
pub mod office;
pub mod output;
pub mod progress;
pub mod reconcile;
pub mod report;
pub mod send;
pub mod verify;
