//! Velocity engine.
