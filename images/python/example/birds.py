def main() -> None:
    birds = sorted(["wren", "tit", "robin"])
    print(f"{len(birds)} birds: {', '.join(birds)}")
