// A C++ module: the standard library (libstdc++) and an exception (libgcc_s's unwinder).
extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <numeric>
#include <stdexcept>
#include <vector>

static int answer(lua_State *L) {
    std::vector<int> eggs{6, 9, 5, 22};
    try {
        throw std::runtime_error("caught");
    } catch (const std::exception &) {
        lua_pushinteger(L, std::accumulate(eggs.begin(), eggs.end(), 0));
    }
    return 1;
}

extern "C" int luaopen_hellocxx(lua_State *L) {
    lua_newtable(L);
    lua_pushcfunction(L, answer);
    lua_setfield(L, -2, "answer");
    return 1;
}
