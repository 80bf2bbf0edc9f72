//! gwtui: a local AWS API Gateway (REST, v1) workbench.
//!
//! Layers (see `docs/ARCHITECTURE.md` and the shared DESIGN.md): `model` (AWS-shaped data),
//! `vtl` (a general Velocity engine), `mapping` (API Gateway variables over vtl), `openapi`
//! (import/export), `store` (durable state), `engine` (the gateway: admin operations and the
//! data plane behind one `Gateway` handle), `server` (hyper: invoke URLs + management API) and
//! `tui` (the console).

pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod engine;
pub mod loadgen;
pub mod mapping;
pub mod model;
pub mod openapi;
pub mod sdk;
pub mod server;
pub mod store;
pub mod tls;
pub mod tui;
pub mod vtl;
