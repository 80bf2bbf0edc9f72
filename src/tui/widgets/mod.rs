//! Widgets the views share.

pub mod vtl;
