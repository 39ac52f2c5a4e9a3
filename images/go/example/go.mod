module birds

go 1.15
