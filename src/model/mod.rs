//! AWS-shaped definitions.
