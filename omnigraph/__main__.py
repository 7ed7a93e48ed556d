from omnigraph.cli import main

main()
