# OpenSSL's default trust store, as Ruby's TLS uses it with no SSL_CERT_FILE: it holds the
# roots of the web (ISRG Root X1, say, which a store verifies only if it holds it).
require "openssl"
store = OpenSSL::X509::Store.new
store.set_default_paths
root = OpenSSL::X509::Certificate.new(File.read("/tests/isrg-root-x1.pem"))
puts store.verify(root) ? "trust store loaded" : "trust store empty: #{store.error_string}"
