//! Integration tests through the real `arrears` binary, compiled as one test binary.

mod broken;
mod crash;
mod external;
mod history;
mod injection;
mod letters;
mod props;
mod readers;
mod run;
mod statements;
mod support;
mod verify;
mod workbook;
