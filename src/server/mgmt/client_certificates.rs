//! `/clientcertificates[/{id}]`: GenerateClientCertificate, GetClientCertificate(s),
//! UpdateClientCertificate, DeleteClientCertificate.

use http::{Method, StatusCode};

use super::{Call, Reply, empty, ok, unknown};
use crate::engine::GenerateClientCertificate;

pub(super) async fn route(call: &Call<'_>, rest: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    match rest {
        [] if m == Method::POST => {
            let input: GenerateClientCertificate = call.json()?;
            ok(
                StatusCode::CREATED,
                &gw.generate_client_certificate(actor, input).await?,
            )
        }
        [] if m == Method::GET => call.page(gw.list_client_certificates()?),
        [id] if m == Method::GET => ok(StatusCode::OK, &gw.get_client_certificate(id)?),
        [id] if m == Method::PATCH => ok(
            StatusCode::OK,
            &gw.update_client_certificate(actor, id, call.patch_ops()?)
                .await?,
        ),
        [id] if m == Method::DELETE => {
            gw.delete_client_certificate(actor, id).await?;
            empty(StatusCode::ACCEPTED)
        }
        _ => Err(unknown(call)),
    }
}
