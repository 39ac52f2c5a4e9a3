local birds = { "wren", "tit", "robin" }
table.sort(birds)
print(#birds .. " birds: " .. table.concat(birds, ", "))
