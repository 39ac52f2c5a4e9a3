-module(birds).
-export([main/0]).

main() ->
    Birds = lists:sort(["wren", "tit", "robin"]),
    io:format("~b birds: ~s~n", [length(Birds), lists:join(", ", Birds)]).
