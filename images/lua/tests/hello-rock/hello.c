/* A C module for every Lua from 5.1 to 5.4: require "hello" returns { answer = function }. */
#include <lua.h>
#include <lauxlib.h>

static int answer(lua_State *L) {
    lua_pushinteger(L, 42);
    return 1;
}

int luaopen_hello(lua_State *L) {
    lua_newtable(L);
    lua_pushcfunction(L, answer);
    lua_setfield(L, -2, "answer");
    return 1;
}
