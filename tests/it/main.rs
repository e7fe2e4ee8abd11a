//! Integration tests through the real `arrears` binary, compiled as one test binary.

mod account_statements;
mod bank_text;
mod broken;
mod crash;
mod external;
mod generated_statements;
mod history;
mod injection;
mod letters;
mod office;
mod props;
mod read_ahead;
mod readers;
mod rules;
mod run;
mod send;
mod statements;
mod support;
mod unified;
mod verify;
mod workbook;
