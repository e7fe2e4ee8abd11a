//! Integration tests through the real `arrears` binary, compiled as one test binary.

mod external;
mod letters;
mod readers;
mod run;
mod support;
