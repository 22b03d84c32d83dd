-- OpenID Connect single sign-on per tenant.
-- One provider per tenant. The client secret must be sent to the provider, so
-- it is kept as given (not hashed); the API never returns it.
CREATE TABLE sso_configs (
    tenant_id       BIGINT  PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    issuer          TEXT    NOT NULL,
    client_id       TEXT    NOT NULL,
    client_secret   TEXT    NOT NULL,
    -- 'email' or 'sub': the ID token claim that finds the Kura user.
    match_claim     TEXT    NOT NULL,
    -- Role of users created on first sign-in ('member' or 'guest'); NULL: none are created.
    jit_role        TEXT,
    label           TEXT,
    updated_at      BIGINT  NOT NULL
);

-- Sign-ins started and not yet finished, keyed by a hash of the OAuth state.
-- browser_hash binds each to the browser that started it (a cookie).
CREATE TABLE sso_pending (
    state_hash      TEXT    PRIMARY KEY,
    browser_hash    TEXT    NOT NULL,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    nonce           TEXT    NOT NULL,
    pkce_verifier   TEXT    NOT NULL,
    return_to       TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL
);
CREATE INDEX sso_pending_expires ON sso_pending (expires_at);

-- Sessions opened by single sign-on (0/1), so a policy change to "SSO only"
-- can tell whether the admin making it could still sign in.
ALTER TABLE sessions ADD COLUMN via_sso BIGINT NOT NULL DEFAULT 0;
