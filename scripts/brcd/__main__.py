from brcd.cli import main

main()
