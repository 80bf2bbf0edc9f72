//! Request authentication shared by the management API and (for `AWS_IAM` methods) the data
//! plane: AWS Signature Version 4 (verification in `sigv4`), the credentials it is checked
//! against, and outbound signing for AWS service integrations (`sign`).

pub mod credentials;
pub mod sign;
pub mod sigv4;
