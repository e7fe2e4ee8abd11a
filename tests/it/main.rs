//! Integration tests through the real `arrears` binary, compiled as one test binary.

mod external;
mod history;
mod readers;
mod run;
mod support;
mod workbook;
