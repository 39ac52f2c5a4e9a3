<?php
// OpenSSL's default trust store, as PHP's TLS uses it with no SSL_CERT_FILE and no openssl.cafile:
// it holds the roots of the web (ISRG Root X1, say, which verifies only if the store holds it).
$root = file_get_contents('/tests/isrg-root-x1.pem');
echo openssl_x509_checkpurpose($root, X509_PURPOSE_ANY) === true ? "trust store loaded\n" : "trust store empty\n";
