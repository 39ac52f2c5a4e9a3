%% The trust store Erlang's ssl takes by default (OTP 25 and later: public_key:cacerts_get/0, the
%% system's bundle); OTP before 25 has no default, and its apps name the system's bundle.
-module(trust).
-export([main/0]).

main() ->
    {module, public_key} = code:ensure_loaded(public_key),
    Roots = case erlang:function_exported(public_key, cacerts_get, 0) of
        true -> public_key:cacerts_get();
        false ->
            {ok, Pem} = file:read_file("/etc/ssl/certs/ca-certificates.crt"),
            public_key:pem_decode(Pem)
    end,
    io:format("~s~n", [case length(Roots) > 100 of true -> "trust store loaded"; false -> "trust store empty" end]).
