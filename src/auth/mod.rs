//! Request authentication shared by the management API and (for `AWS_IAM` methods) the data
//! plane: AWS Signature Version 4.

pub mod sigv4;
