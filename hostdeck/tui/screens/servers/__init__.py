"""The Servers screen: its rows, its stored inventory and the screen itself."""
