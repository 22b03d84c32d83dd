-- Client certificates per tenant: the CA certificates it trusts (PEM, checked
-- on upload), and its settings: the CRL (PEM, NULL = none) and whether a
-- certificate must also name the signed-in user ('none', 'email' or 'cn').
CREATE TABLE tenant_client_cas (
    id              INTEGER PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    subject         TEXT    NOT NULL,
    sha256          TEXT    NOT NULL,
    not_before      BIGINT  NOT NULL,
    not_after       BIGINT  NOT NULL,
    pem             TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    UNIQUE (tenant_id, sha256)
);

CREATE TABLE tenant_client_cert_settings (
    tenant_id       BIGINT  PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    user_match      TEXT    NOT NULL DEFAULT 'none',
    crl_pem         TEXT,
    crl_updated_at  BIGINT
);
