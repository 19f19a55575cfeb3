import com.adobe.epubcheck.tool.EpubChecker;

/**
 * Runs EPUBCheck on each book named on the command line, one after the other in this one JVM, as its own command
 * line would (`epubcheck BOOK -q --json BOOK.json`), and prints each book's exit status as "STATUS BOOK".
 *
 * EPUBCheck spends about 5 s of CPU loading its schemas before the first book and a quarter of a second on each
 * book after that, so the tests check all their books in one JVM. Run from source (`java -cp epubcheck.jar
 * EpubCheckEach.java ...`): no compiled class is kept.
 */
public class EpubCheckEach {
    public static void main(String[] books) {
        for (String book : books) {
            int status = new EpubChecker().run(new String[] {book, "-q", "--json", book + ".json"});
            System.out.println(status + " " + book);
        }
    }
}
