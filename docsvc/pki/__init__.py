"""The institution's development PKI as served by docsvc: certificates, CRL, OCSP, TSA."""
