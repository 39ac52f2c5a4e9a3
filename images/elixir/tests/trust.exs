# The trust store Erlang's ssl takes by default (OTP 25 and later: :public_key.cacerts_get/0, the
# system's bundle); OTP before 25 has no default, and its apps name the system's bundle.
{:module, :public_key} = Code.ensure_loaded(:public_key)

roots =
  if function_exported?(:public_key, :cacerts_get, 0) do
    :public_key.cacerts_get()
  else
    :public_key.pem_decode(File.read!("/etc/ssl/certs/ca-certificates.crt"))
  end

IO.puts(if length(roots) > 100, do: "trust store loaded", else: "trust store empty")
