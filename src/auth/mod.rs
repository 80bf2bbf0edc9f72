//! Request authentication shared by the management API and (for `AWS_IAM` methods) the data
//! plane: AWS Signature Version 4, and the credentials it is checked against.

pub mod credentials;
pub mod sigv4;
